x = 1.0
L = x.tanh(2)
