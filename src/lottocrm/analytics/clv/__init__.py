"""Customer lifetime value: BG/NBD, Pareto/NBD and Gamma-Gamma fitted by maximum likelihood.

``summary`` turns a transaction log into the (x, t_x, T, monetary) summary the models read; ``bgnbd``,
``paretonbd`` and ``gammagamma`` fit them; ``predict`` answers "is this player alive, how often will they buy,
how much will they spend, what are they worth"; ``holdout`` checks predictions against a later period.
"""
