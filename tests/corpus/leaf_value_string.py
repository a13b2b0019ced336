w = leaf("w", "abc")
L = w * 2
