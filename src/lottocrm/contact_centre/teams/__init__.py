"""Teams, their working hours and members; queues and each queue's wrap-up codes."""
