"""The player analytical record, lifecycle segments and RFM levels, written back to the operational store."""
