"""History from elsewhere: campaigns another system ran, imported with their arms, responses and revenue."""
