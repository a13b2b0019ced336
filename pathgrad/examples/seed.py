x1 = 1
x2 = 2
w1 = 1
w2 = 2
w3 = 3

x3 = w1 * x1
x4 = w1 * x2
x5 = w2 * x3 + w3 * x4
L = 1 - x5

# The worked example every student meets first: two paths from L to w1.
