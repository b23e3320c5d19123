ALTER TABLE "messages" DROP CONSTRAINT "messages_sender_contact_id_contacts_id_fk";
