"""Local gateways: real protocol servers on loopback (an SMSC, an SMTP sink, a push endpoint) that tests, the
demo and ``lottocrm gateways`` send to, each reporting what it received. Production points the transports at
real providers instead; the transports do not know the difference."""
