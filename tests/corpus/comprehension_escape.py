x = 1.0
kinds = [c for c in ().__class__.__mro__]
L = x * 2
