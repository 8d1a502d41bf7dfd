"""Local protocol servers on loopback (an SMSC, an SMTP sink, a web-push endpoint) that the tests, the demo
and ``lottocrm gateways`` start, so every channel is exercised over its real protocol."""
