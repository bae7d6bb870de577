"""The peer channel: mutual TLS 1.3 between devices whose certificates the log binds.

`credentials` keeps this device's TLS key (encrypted on disk) and self-signed
certificate; `tls` builds the server and client contexts over the certificates of the
branch's active devices and says which device is at the other end (docs/sync.md,
"The channel").
"""
