x = 1.0
with open('pathgrad_pwned.txt', 'w') as f:
    pass
L = x * 2
