"""Qt widgets. Each stage tab is its own package; views call services and never hold a Session."""
