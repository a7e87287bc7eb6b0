"""Domain records and their storage in Redis; settings; the embedded Redis launcher."""
