# Symbolic leaves: x and y are never assigned, so closed forms come without values.
w = 2.0
L = log(1 + exp(-y * w * x))
