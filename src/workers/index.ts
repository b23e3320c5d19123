// Each worker module registers itself with registerWorker() on import; list them here.
import "./outbound.worker";
import "./delivery.worker";
import "./automation.worker";
import "./media.worker";
import "@/features/usage/usage.worker";
import "@/features/contacts/contacts.worker";
import "@/features/transcription/transcription.worker";
import "@/features/templates/provider-template.worker";
import "@/features/agent-chats/agent-chat.worker";
