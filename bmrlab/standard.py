"""The standard conditions: one definition for the protocols' defaults and the simulator's
calibration (docs/standard-conditions.md). Test conditions, not results."""

SWEEP_STEP_V = 1e-3  # I-V sweeps: 1 mV steps ...
SWEEP_DWELL_S = 2e-3  # ... every 2 ms: 0.5 V/s
SWEEP_V_MAX = 0.2
IV_CYCLES = 20
IV_REST_S = 0.5  # at 0 V before each cycle
COMPLIANCE_A = 1e-6
V_READ = 20e-3  # read voltage, below Vset/2
DELAY_AT_V = 0.1  # pulse delay amplitude when the device file gives none
RETENTION_PULSE = (0.1, 20e-3)  # (V, s) when the device file gives none
RETENTION_READS = 50  # reads per expected retention time, at least ...
RETENTION_READ_S = 0.4e-3  # ... each this long at V_READ, with 0 V between
RETENTION_READ_DUTY = 0.25  # ... and at most this fraction of the time at V_READ
ON_OFF_WINDOW = 10.0  # endurance: the last cycle whose On/Off is still >= this

# the columns of Table 1 of the review: what every characterization reports
TABLE1 = (
    "vset_mV",
    "vreset_mV",
    "on_off_ratio",
    "endurance_cycles",
    "delay_ms",
    "delay_at_mV",
    "retention_ms",
    "retention_pulse_mV",
    "retention_pulse_ms",
    "volatile",
)
