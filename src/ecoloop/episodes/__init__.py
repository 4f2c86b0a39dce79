"""Heavy-pollution warnings (重污染天气预警, issue 20 parts 2 and 5): issued, upgraded, downgraded and lifted for the
city or some counties with the leader's approval, each change pushed to the units and enterprises concerned; the
levels in force over time that the control list and the electricity checks follow."""
