"""`chitnode hq pull`: the head office fetches branches over the peer channel (issue 16)."""
