"""From the initial load to go-live: the steps of the CeR guide for providers around
``zasilInicjalnie`` — MUŚ data, mobile points and schedules (``provider``), free slots for three
months (``slots``), readiness and activation (``readiness``), and daily sync monitoring
(``reconcile``). Each CeR operation is a template + XSD a site can replace (see docs/golive.md).
"""
