x = 1.0
L = x.softplus()
