"""The SMS channel: SMPP 3.4 to the operator's SMSC (:class:`.transport.SmppTransport`), its settings and
its delivery receipts."""
