x = 1.0
x.requires_grad = False
L = x * 2
