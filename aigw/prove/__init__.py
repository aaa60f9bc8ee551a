"""aigw prove: evidence from the live account that production stores no payloads."""
