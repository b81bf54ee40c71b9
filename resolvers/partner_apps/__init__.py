"""Partner apps: staff manage them; each root field declares the scope that opens it to them."""
