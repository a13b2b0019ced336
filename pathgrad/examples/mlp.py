# A tiny two-layer tanh network on one example: loops, lists, functions and leaf().
inputs = (1.0, -2.0)  # a tuple stays plain numbers; a list would be a tensor leaf
target = 0.5

w1 = [[leaf(f"w1_{i}{j}", 0.1 * (i + 1) - 0.2 * j) for j in range(2)] for i in range(2)]
b1 = [leaf(f"b1_{i}", 0.0) for i in range(2)]
w2 = [leaf(f"w2_{i}", 0.3 - 0.5 * i) for i in range(2)]
b2 = leaf("b2", 0.1)


def neuron(weights, bias, xs):
    total = bias
    for w, x in zip(weights, xs):
        total = total + w * x
    return total


hidden = [tanh(neuron(w1[i], b1[i], inputs)) for i in range(2)]
out = neuron(w2, b2, hidden)
L = (out - target) ** 2
