"""The priority queue tab: the ranked queue, why each order is where it is, expedites, holds."""
