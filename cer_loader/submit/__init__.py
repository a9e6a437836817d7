"""Submission to CeR over the P1 transport: SOAP over mutual TLS with a WS-Security signature.

``client.P1Client`` is the client (``send_batch``, ``query_status``); ``targets`` names where to
send, ``contract`` holds the operation's contract (WSDL, names, namespaces, answer shape) read
from data files, ``errors`` classifies what went wrong by layer, ``answers`` is what CeR said,
``devcerts`` makes throwaway certificates for the local emulator; ``orchestrate`` (retries,
UNKNOWN resolution, resume) drives the client against the ledger.
"""
