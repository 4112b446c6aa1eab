"""Controllers' rules, written from their source, for tests that check what logad renders without a cluster.

kmock and ``helm template`` store objects as given; the controllers that act on them (KServe, Argo, PodSecurity
admission) are not here. Each module applies one controller's rule to rendered objects and cites the source it
was written from.
"""
