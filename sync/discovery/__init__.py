"""Finding peers: the peer book (remembered addresses) and mDNS (zeroconf) hints.

Both are hints: whoever answers at an address is authenticated by the channel
(sync/channel), never by how its address was found.
"""
