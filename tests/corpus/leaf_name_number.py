w = leaf(3, 1.0)
L = w * 2
