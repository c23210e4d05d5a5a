"""`promptdeck pick`: the inline picker for the shell (Textual, loaded only when it runs)."""
