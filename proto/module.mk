# proto/: the wire schema. protoc-c generates the C into build/gen at build
# time; nothing generated is committed.
PROTO_GEN := $(B)/gen/keel.pb-c.c $(B)/gen/keel.pb-c.h

$(B)/gen/keel.pb-c.c $(B)/gen/keel.pb-c.h &: proto/keel.proto | deps
	@mkdir -p $(B)/gen
	protoc-c --proto_path=proto --c_out=$(B)/gen $<

$(B)/obj/$(B)/gen/keel.pb-c.o: $(B)/gen/keel.pb-c.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@
