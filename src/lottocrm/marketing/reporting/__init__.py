"""Campaign results: members from the store, responses from the lake (or imported), with intervals."""
