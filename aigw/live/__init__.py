"""The live account through the official `cloudflare` SDK: `aigw audit`, `aigw drift`, `aigw import`.

client.py is the only module that calls the API (frugally: pages of 100, Retry-After honoured);
mapping.py turns live gateways into the plan's props and normalises both for comparison.
"""
