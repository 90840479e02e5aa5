"""Policy cases side by side: run many cases, compare their Solutions, regret of each plan."""
