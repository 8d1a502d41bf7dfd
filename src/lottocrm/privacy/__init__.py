"""The player's rights: erasure, access export, consent proof, preference centre, retention (issue #17)."""
