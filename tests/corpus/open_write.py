x = 1.0
f = open('pathgrad_pwned.txt', 'w')
L = x * 2
