# mark-start.sh - tell formica "the measured part starts now": one byte to
# the Formica mark port 0x510 (1296) through /dev/port.  The hv logs
#   mark guest=NAME value=1 exits=N tsc=T
# Under bare hardware the write goes nowhere.
printf '\001' | dd of=/dev/port bs=1 seek=1296 count=1 2>/dev/null
echo "FORMICA-MARK: 1"
