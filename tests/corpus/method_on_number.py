x = 1.0
k = 2
for i in range(1):
    k = i + 2
L = x * k.tanh()
