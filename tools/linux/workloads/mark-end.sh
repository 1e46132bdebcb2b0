# mark-end.sh - "the measured part ends now" (see mark-start.sh).
printf '\002' | dd of=/dev/port bs=1 seek=1296 count=1 2>/dev/null
echo "FORMICA-MARK: 2"
