# One tanh layer written with tensors: x, W and b are tensor leaves, y a constant.
x = [1.0, 2.0, -1.0]
W = [[0.5, -1.0, 0.25], [1.5, 0.5, -0.5]]
b = [0.1, -0.2]
y = const([0.5, -0.5])
h = tanh(W @ x + b)
L = ((h - y) ** 2).mean()
