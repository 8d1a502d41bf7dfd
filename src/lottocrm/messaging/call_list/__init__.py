"""The call-list channel: a message on the gate's "call" channel becomes a task in an operator queue with a
daily capacity; operators work the queue on ``/call-list``."""
