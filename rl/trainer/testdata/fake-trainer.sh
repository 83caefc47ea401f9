#!/bin/sh
# fake-trainer.sh stands in for an external trainer under the exec:
# contract of docs/trainer.md, for the tests of rl/trainer. FAKE_MODE says
# what it does:
#   copy    copy the init checkpoint to SPAG_OUT_CHECKPOINT and name it
#   gguf    copy the GGUF file FAKE_GGUF to SPAG_OUT_GGUF and name it
#   hf      copy the init policy's Hugging Face directory SPAG_INIT_HF to
#           SPAG_OUT_HF and name it (hf:DIR)
#   ollama  name the Ollama model SPAG_OUT_OLLAMA without writing a file
#   export  serve the init checkpoint as the Ollama model SPAG_OUT_OLLAMA
#           ($FAKE_SPAG model export to the server $FAKE_HOST) and name it
#   fail    complain on stderr and exit 3
#   silent  exit 0 without a result
#   missing name a checkpoint that does not exist
#   garbage write a result that is not JSON
#   wait    touch FAKE_STARTED, then wait for SIGTERM and note it
set -eu
env | grep '^SPAG_' | sort > "$(dirname "$SPAG_RESULT")/fake-env.txt"
echo "fake trainer: objective $SPAG_OBJECTIVE, $SPAG_STEPS steps"
case "$FAKE_MODE" in
copy)
	cp "$SPAG_INIT_CHECKPOINT" "$SPAG_OUT_CHECKPOINT"
	printf '{"policy": "native:%s", "metrics": {"loss": 0.25}, "steps": %s}\n' "$SPAG_OUT_CHECKPOINT" "$SPAG_STEPS" > "$SPAG_RESULT"
	;;
gguf)
	cp "$FAKE_GGUF" "$SPAG_OUT_GGUF"
	printf '{"policy": "gguf:%s"}\n' "$SPAG_OUT_GGUF" > "$SPAG_RESULT"
	;;
hf)
	cp -r "$SPAG_INIT_HF" "$SPAG_OUT_HF"
	printf '{"policy": "hf:%s"}\n' "$SPAG_OUT_HF" > "$SPAG_RESULT"
	;;
ollama)
	printf '{"policy": "ollama:%s"}\n' "$SPAG_OUT_OLLAMA" > "$SPAG_RESULT"
	;;
export)
	"$FAKE_SPAG" model export --ckpt "$SPAG_INIT_CHECKPOINT" --ollama "$SPAG_OUT_OLLAMA" --host "$FAKE_HOST"
	printf '{"policy": "ollama:%s@%s"}\n' "$SPAG_OUT_OLLAMA" "$FAKE_HOST" > "$SPAG_RESULT"
	;;
fail)
	echo "RuntimeError: CUDA out of memory" >&2
	exit 3
	;;
silent)
	;;
missing)
	printf '{"policy": "native:%s"}\n' "nowhere.ckpt" > "$SPAG_RESULT"
	;;
garbage)
	echo 'policy = native' > "$SPAG_RESULT"
	;;
wait)
	trap 'echo stopped > "$FAKE_STARTED.term"; exit 143' TERM
	touch "$FAKE_STARTED"
	while :; do sleep 1; done
	;;
*)
	echo "unknown FAKE_MODE $FAKE_MODE" >&2
	exit 2
	;;
esac
