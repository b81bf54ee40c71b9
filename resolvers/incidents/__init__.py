"""Security incidents (P15): recording one, its authority deadline, telling those it concerned."""
