// Each worker module registers itself with registerWorker() on import; list them here.
import "./outbound.worker";
import "./delivery.worker";
import "./automation.worker";
import "./media.worker";
import "@/features/usage/usage.worker";
import "@/features/contacts/contacts.worker";
import "@/features/transcription/transcription.worker";
import "@/features/templates/provider-template.worker";
import "@/features/departments/auto-close.worker";
import "@/features/availability/availability.worker";
import "@/features/sentiment/sentiment.worker";
import "@/features/suggestions/suggestion.worker";
import "@/features/agent-chats/agent-chat.worker";
import "@/features/alerts/alert.worker";
import "@/features/satisfaction/satisfaction.worker";
