"""Durable jobs in the operational store: an outbox queue, leased claims, retries and cron schedules."""
