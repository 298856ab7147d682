"""Where articles come from: the corpus folder, uploads, RSS/Atom feeds."""
