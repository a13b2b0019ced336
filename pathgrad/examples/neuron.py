# One sigmoid neuron with a squared-error loss.
x = 0.5
w = -1.5
b = 0.25
y = 1.0

z = w * x + b
a = sigmoid(z)
L = (a - y) ** 2
