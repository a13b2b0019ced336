x = 0.0
w = 2.0
L = relu(x) * w
