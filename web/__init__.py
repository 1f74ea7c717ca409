"""Demo help-center page with the chat widget and a demo mailbox."""
