# A reused operand: y = a * a has two edges to a, so two paths that sum to 2*a.
a = 3.0
y = a * a
L = y + a
