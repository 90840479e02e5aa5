"""Explore a decision beyond its one optimum: near-optimal alternative plans (`alternatives`) and the
schedule risk of a plan (`risk`). Both are studies (planner.study): many solves of one built model."""
