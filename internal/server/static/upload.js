// Photo picking for file inputs marked data-photos: previews, reordering,
// choosing in several rounds, and shrinking big photos before upload so that
// posting from a phone on a slow link stays quick.
//
// The form still posts as plain multipart, because the script only rewrites
// the input's FileList (through DataTransfer) in the chosen order. A photo
// that fails to decode or shrink goes up as chosen, since the server
// re-encodes every photo anyway. Without DataTransfer the script does
// nothing and the plain input works as before.
"use strict";

(() => {
  // Photos above either limit are re-encoded before upload. The server's
  // largest stored size is 1600 px, so 2400 px still leaves it sharp detail
  // to downscale from. In Chromium 156 an 8-megapixel phone photo of 1.9 MB
  // came out at 0.74 MB.
  const shrinkBytes = 2.5 * 1024 * 1024;
  const shrinkSide = 2400;
  const jpegQuality = 0.88;
  // Formats that browsers decode and that lose nothing the server keeps
  // when turned into JPEG. HEIC is missing because most browsers cannot
  // decode it, and GIF because such files are small and the server takes
  // their first frame itself.
  const shrinkTypes = new Set(["image/jpeg", "image/png", "image/webp"]);
  // Side in pixels of the square preview image, twice its CSS size for
  // high-density screens.
  const previewSide = 192;
  // A photo whose preparation takes longer is sent as chosen, so a stuck
  // decoder never holds up posting.
  const prepareTimeoutMs = 20000;
  const defaultMaxPhotos = 12;

  // DataTransfer is the only way to put files into an input from script.
  // Without it the plain input, which replaces its files on every choice,
  // is still correct, so the script leaves it alone.
  function canSetFiles() {
    try {
      const transfer = new DataTransfer();
      transfer.items.add(new File(["x"], "probe.txt", { type: "text/plain" }));
      return transfer.files.length === 1;
    } catch {
      return false;
    }
  }

  function formatBytes(bytes) {
    if (bytes < 1024 * 1024) {
      return Math.max(1, Math.round(bytes / 1024)) + " KB";
    }
    return (bytes / (1024 * 1024)).toFixed(1) + " MB";
  }

  function plural(count, word) {
    return count + " " + word + (count === 1 ? "" : "s");
  }

  function jpegName(name) {
    const dot = name.lastIndexOf(".");
    return (dot > 0 ? name.slice(0, dot) : name) + ".jpg";
  }

  function fileKey(file) {
    return file.name + "\u0000" + file.size + "\u0000" + file.lastModified;
  }

  function withTimeout(promise, ms) {
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error("timed out after " + ms + " ms")), ms);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }

  // decode returns the photo upright. imageOrientation "from-image" makes
  // createImageBitmap apply the EXIF orientation, which matters because the
  // re-encoded JPEG carries no EXIF for the server to read. Browsers that
  // reject the option throw, and the photo is then sent as chosen.
  // NOTE: the full-size bitmap takes 4 bytes a pixel, 200 MB for a
  // 50-megapixel photo, which can end a tab on a low-end phone.
  // createImageBitmap's resizeWidth would decode smaller, but needs the
  // photo's size first, and so a parser for each format's header here.
  function decode(file) {
    if (typeof createImageBitmap !== "function") {
      return Promise.reject(new Error("createImageBitmap is not supported"));
    }
    return createImageBitmap(file, { imageOrientation: "from-image" });
  }

  function drawScaled(bitmap, width, height) {
    const canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    const context = canvas.getContext("2d");
    // The server flattens transparency onto white, so a PNG looks the same
    // whether or not it was shrunk here.
    context.fillStyle = "#fff";
    context.fillRect(0, 0, width, height);
    context.imageSmoothingQuality = "high";
    context.drawImage(bitmap, 0, 0, width, height);
    return canvas;
  }

  function previewURL(bitmap) {
    const scale = Math.min(1, previewSide / Math.min(bitmap.width, bitmap.height));
    const canvas = drawScaled(bitmap,
      Math.max(1, Math.round(bitmap.width * scale)),
      Math.max(1, Math.round(bitmap.height * scale)));
    // A data: URL because the Content-Security-Policy allows data: images
    // but not blob: ones.
    return canvas.toDataURL("image/jpeg", 0.8);
  }

  function needsShrinking(file, bitmap) {
    return shrinkTypes.has(file.type) &&
      (file.size > shrinkBytes || Math.max(bitmap.width, bitmap.height) > shrinkSide);
  }

  function shrink(bitmap) {
    const scale = Math.min(1, shrinkSide / Math.max(bitmap.width, bitmap.height));
    const canvas = drawScaled(bitmap,
      Math.max(1, Math.round(bitmap.width * scale)),
      Math.max(1, Math.round(bitmap.height * scale)));
    return new Promise((resolve, reject) => {
      canvas.toBlob((blob) => {
        // Zero size frees the canvas memory now instead of at the next
        // garbage collection, which matters on phones with 12 photos.
        canvas.width = 0;
        canvas.height = 0;
        if (blob) {
          resolve(blob);
        } else {
          reject(new Error("canvas.toBlob returned no image"));
        }
      }, "image/jpeg", jpegQuality);
    });
  }

  // prepare returns the preview and the file to upload: a shrunk copy for
  // big photos, else the original. It never rejects. A photo it cannot
  // decode (HEIC in most browsers) gets no preview and is sent as chosen.
  async function prepare(original) {
    const result = { preview: null, file: original };
    let bitmap;
    try {
      bitmap = await decode(original);
      result.preview = previewURL(bitmap);
      if (!needsShrinking(original, bitmap)) {
        return result;
      }
      const blob = await shrink(bitmap);
      // Re-encoding a photo that was already well compressed can make it
      // bigger, and then the original is the quicker upload.
      if (blob.size < original.size) {
        result.file = new File([blob], jpegName(original.name),
          { type: "image/jpeg", lastModified: original.lastModified });
      }
    } catch (error) {
      console.warn("photo %s is sent as chosen: %s", original.name, error);
    } finally {
      bitmap?.close();
    }
    return result;
  }

  let nextID = 0;

  class PhotoPicker {
    constructor(input) {
      this.input = input;
      this.form = input.form;
      this.maxPhotos = parseInt(input.dataset.photos, 10) || defaultMaxPhotos;
      this.photos = [];
      this.message = "";
      this.dragged = null;
      this.buildElements();

      input.addEventListener("change", () => this.add(Array.from(input.files)));
      this.form?.addEventListener("submit", (event) => this.onSubmit(event));
      this.form?.addEventListener("change", (event) => {
        if (event.target.matches("[data-existing-photo]")) {
          this.render();
        }
      });
      this.list.addEventListener("click", (event) => this.onClick(event));
      this.list.addEventListener("dragstart", (event) => this.onDragStart(event));
      this.list.addEventListener("dragover", (event) => this.onDragOver(event));
      this.list.addEventListener("dragleave", (event) => this.onDragLeave(event));
      this.list.addEventListener("drop", (event) => this.onDrop(event));
      this.list.addEventListener("dragend", () => this.onDragEnd());

      // A browser that restores form state after Back may have put files
      // back into the input before the script ran.
      if (input.files.length > 0) {
        this.add(Array.from(input.files));
      }
    }

    buildElements() {
      const id = "photos-" + nextID++;
      this.status = document.createElement("p");
      this.status.className = "photo-status hint";
      this.status.id = id + "-status";
      this.status.setAttribute("aria-live", "polite");
      this.status.hidden = true;

      this.list = document.createElement("ol");
      this.list.className = "photo-list";
      this.list.setAttribute("aria-label", "Chosen photos");
      this.list.hidden = true;

      // Moves and removals are announced apart from the visible status
      // line, which would otherwise flicker with every click.
      this.announcer = document.createElement("p");
      this.announcer.className = "visually-hidden";
      this.announcer.setAttribute("aria-live", "polite");

      // Below the field's hint and error, which belong to the input.
      this.input.parentElement.append(this.status, this.list, this.announcer);
      const described = this.input.getAttribute("aria-describedby");
      this.input.setAttribute("aria-describedby", described ? described + " " + this.status.id : this.status.id);

      // The submit button sits far below on a phone, so it gets its own
      // note saying why it is disabled.
      this.submitButtons = this.form ? Array.from(this.form.querySelectorAll("button:not([type]), button[type=submit], input[type=submit]")) : [];
      this.submitNote = document.createElement("p");
      this.submitNote.className = "photo-submit-note hint";
      this.submitNote.id = id + "-submit-note";
      this.submitNote.hidden = true;
      this.submitNote.textContent = "Preparing photos… this button works again when they are ready.";
      const lastButton = this.submitButtons[this.submitButtons.length - 1];
      if (lastButton) {
        lastButton.after(this.submitNote);
      }
    }

    // On the manage page the post's current photos count towards the
    // maximum, except those marked for removal.
    keptCount() {
      return this.form ? this.form.querySelectorAll("[data-existing-photo]:not(:checked)").length : 0;
    }

    hasExisting() {
      return Boolean(this.form?.querySelector("[data-existing-photo]"));
    }

    // On the manage page the post's own photos come first, so the chosen
    // ones are numbered as new photos to keep "photo 1" unambiguous.
    noun() {
      return this.hasExisting() ? "new photo" : "photo";
    }

    room() {
      return Math.max(0, this.maxPhotos - this.keptCount());
    }

    add(files) {
      if (files.length === 0) {
        // Cancelling the file chooser empties the input in some browsers,
        // so the list is put back.
        this.sync();
        return;
      }
      // Choosing a photo again in a later round is most likely a slip,
      // and a post with the same photo twice helps no one.
      const known = new Set(this.photos.map((photo) => fileKey(photo.original)));
      const repeated = files.filter((file) => known.has(fileKey(file)));
      const fresh = files.filter((file) => !known.has(fileKey(file)));
      const room = this.room() - this.photos.length;
      const accepted = fresh.slice(0, Math.max(0, room));
      const left = fresh.slice(accepted.length);
      const messages = [];
      if (repeated.length > 0) {
        messages.push("Already chosen, so not added again: " + repeated.map((file) => file.name).join(", ") + ".");
      }
      if (left.length > 0) {
        messages.push("Only " + plural(this.room(), "photo") + " fit, so " +
          (left.length === 1 ? "1 was" : left.length + " were") + " left out: " +
          left.map((file) => file.name).join(", ") + ".");
      }
      this.message = messages.join(" ");

      for (const file of accepted) {
        const photo = { id: nextID++, original: file, file: file, preview: null, ready: false, element: null };
        this.photos.push(photo);
        this.queue(photo);
      }
      this.sync();
      this.render();
    }

    queue(photo) {
      // One photo at a time keeps at most one decoded 12-megapixel bitmap
      // (about 48 MB) in memory, which phones need.
      this.chain = (this.chain || Promise.resolve()).then(async () => {
        // A photo removed while it waited costs no decoding.
        if (this.photos.includes(photo)) {
          try {
            // A result that arrives after the timeout is dropped, so the
            // file shown in the list is the one that gets sent.
            const result = await withTimeout(prepare(photo.original), prepareTimeoutMs);
            photo.preview = result.preview;
            photo.file = result.file;
          } catch (error) {
            console.warn("photo %s is sent as chosen: %s", photo.original.name, error);
          }
        }
        photo.ready = true;
        if (this.photos.includes(photo)) {
          this.updateElement(photo);
        }
        this.sync();
        this.render();
      });
    }

    // sync writes the photos, in list order, into the input that the form
    // submits. If the browser rejects that, the input keeps what the person
    // last chose, which still posts.
    sync() {
      try {
        const transfer = new DataTransfer();
        for (const photo of this.photos) {
          transfer.items.add(photo.ready ? photo.file : photo.original);
        }
        this.input.files = transfer.files;
      } catch (error) {
        console.warn("could not set the chosen photos on the input: %s", error);
      }
    }

    onSubmit(event) {
      // The disabled submit button already blocks submitting by click or
      // Enter. This catches the rest, such as a script calling
      // requestSubmit, because submitting now would upload big originals.
      if (this.busy()) {
        event.preventDefault();
        return;
      }
      this.sync();
    }

    render() {
      const total = this.photos.length;
      this.photos.forEach((photo, index) => {
        if (!photo.element) {
          photo.element = this.createElement(photo);
          this.updateElement(photo);
        }
        this.list.append(photo.element);
        this.label(photo, index, total);
      });
      for (const element of Array.from(this.list.children)) {
        if (!this.photos.some((photo) => photo.element === element)) {
          element.remove();
        }
      }
      this.list.hidden = total === 0;
      this.renderStatus();

      const busy = this.busy();
      this.form?.classList.toggle("photos-busy", busy);
      for (const button of this.submitButtons) {
        button.disabled = busy;
        const described = button.dataset.photosDescribedby ?? button.getAttribute("aria-describedby") ?? "";
        button.dataset.photosDescribedby = described;
        const ids = busy ? (described + " " + this.submitNote.id).trim() : described;
        if (ids) {
          button.setAttribute("aria-describedby", ids);
        } else {
          button.removeAttribute("aria-describedby");
        }
      }
      this.submitNote.hidden = !busy;
    }

    busy() {
      return this.photos.some((photo) => !photo.ready);
    }

    renderStatus() {
      const total = this.photos.length;
      const kept = this.keptCount();
      const warnings = [];
      if (this.message) {
        warnings.push(this.message);
      }
      if (kept + total > this.maxPhotos) {
        warnings.push("This would make " + (kept + total) + " photos, but a post can have at most " + this.maxPhotos +
          ". Remove some here or mark current photos for removal.");
      }

      let text = "";
      if (this.busy()) {
        const ready = this.photos.filter((photo) => photo.ready).length;
        text = "Preparing photos… " + ready + " of " + total + " ready.";
      } else if (total > 0 && this.hasExisting()) {
        text = plural(total, "photo") + " to add. With the " + plural(kept, "current photo") + " you keep, the post has " +
          (kept + total) + " of at most " + this.maxPhotos + ".";
      } else if (total > 0) {
        text = total + " of " + plural(this.maxPhotos, "photo") + " chosen. The first one is shown in listings.";
      }

      this.status.replaceChildren();
      for (const warning of warnings) {
        const strong = document.createElement("strong");
        strong.className = "photo-warning";
        strong.textContent = warning;
        this.status.append(strong, " ");
      }
      this.status.append(text);
      this.status.hidden = warnings.length === 0 && text === "";
    }

    createElement(photo) {
      const item = document.createElement("li");
      item.className = "photo-item";
      item.draggable = true;
      item.dataset.photoId = String(photo.id);

      const figure = document.createElement("div");
      figure.className = "photo-thumb";
      item.append(figure);

      const info = document.createElement("div");
      info.className = "photo-info";
      // One line for number and name, cut short with an ellipsis, keeps
      // the text as tall as the preview beside it on a phone.
      const title = document.createElement("span");
      title.className = "photo-title";
      const position = document.createElement("strong");
      position.className = "photo-position";
      const name = document.createElement("span");
      name.className = "photo-name";
      name.textContent = photo.original.name;
      name.title = photo.original.name;
      title.append(position, " ", name);
      const size = document.createElement("span");
      size.className = "photo-size";
      info.append(title, size);
      item.append(info);

      const actions = document.createElement("div");
      actions.className = "photo-actions";
      actions.append(
        this.button("earlier", "↑", "Earlier"),
        this.button("later", "↓", "Later"),
        this.button("remove", "", "Remove"));
      item.append(actions);
      return item;
    }

    button(action, symbol, text) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "photo-" + action;
      button.dataset.action = action;
      if (symbol) {
        const icon = document.createElement("span");
        icon.setAttribute("aria-hidden", "true");
        icon.textContent = symbol;
        button.append(icon);
      }
      // On narrow phones CSS hides the word and leaves the arrow, so that
      // all three buttons fit beside the preview. The aria-label set in
      // label() names the button either way.
      const word = document.createElement("span");
      word.className = symbol ? "photo-action-word" : "";
      word.textContent = text;
      button.append(word);
      return button;
    }

    // updateElement shows the state of preparing: the preview, once there is
    // one, and the size that will be uploaded.
    updateElement(photo) {
      const item = photo.element;
      if (!item) {
        return;
      }
      const figure = item.querySelector(".photo-thumb");
      if (photo.preview && !figure.querySelector("img")) {
        const image = document.createElement("img");
        image.src = photo.preview;
        // The text beside the preview names the photo ("Photo 2", file
        // name, size), so alt text would only repeat it.
        image.alt = "";
        // The list item is what gets dragged, not the image on its own.
        image.draggable = false;
        figure.replaceChildren(image);
      } else if (!photo.preview) {
        figure.textContent = photo.ready ? "No preview" : "…";
      }

      const size = item.querySelector(".photo-size");
      if (!photo.ready) {
        size.textContent = formatBytes(photo.original.size) + ", preparing…";
      } else if (photo.file !== photo.original) {
        size.textContent = formatBytes(photo.original.size) + ", shrunk to " + formatBytes(photo.file.size);
      } else {
        size.textContent = formatBytes(photo.original.size);
      }
    }

    label(photo, index, total) {
      const item = photo.element;
      const number = index + 1;
      const noun = this.noun() + " " + number;
      item.querySelector(".photo-position").textContent = noun[0].toUpperCase() + noun.slice(1);
      item.querySelector(".photo-earlier").setAttribute("aria-label", "Move " + noun + " earlier");
      item.querySelector(".photo-later").setAttribute("aria-label", "Move " + noun + " later");
      item.querySelector(".photo-remove").setAttribute("aria-label", "Remove " + noun);
      item.querySelector(".photo-earlier").disabled = index === 0;
      item.querySelector(".photo-later").disabled = index === total - 1;
    }

    onClick(event) {
      const button = event.target.closest("button[data-action]");
      if (!button) {
        return;
      }
      const item = button.closest(".photo-item");
      const index = this.photos.findIndex((photo) => photo.element === item);
      if (index < 0) {
        return;
      }
      const action = button.dataset.action;
      if (action === "remove") {
        this.remove(index);
      } else {
        this.move(index, action === "earlier" ? index - 1 : index + 1, action);
      }
    }

    move(from, to, focusAction) {
      if (to < 0 || to >= this.photos.length || to === from) {
        return;
      }
      const [photo] = this.photos.splice(from, 1);
      this.photos.splice(to, 0, photo);
      this.message = "";
      this.sync();
      this.render();
      this.announce(photo.original.name + " is now " + this.noun() + " " + (to + 1) + " of " + this.photos.length + ".");

      if (focusAction) {
        // Focus stays on the moved photo so that pressing the same button
        // again keeps moving it. At either end that button is disabled,
        // and focus goes to the one for the other direction.
        let target = photo.element.querySelector(".photo-" + focusAction);
        if (target.disabled) {
          target = photo.element.querySelector(focusAction === "earlier" ? ".photo-later" : ".photo-earlier");
        }
        if (!target.disabled) {
          target.focus();
        }
      }
    }

    remove(index) {
      const [photo] = this.photos.splice(index, 1);
      this.message = "";
      this.sync();
      this.render();
      this.announce("Removed " + photo.original.name + ". " + plural(this.photos.length, this.noun()) + " left.");

      // Focus moves to the photo that took its place, so keyboard users
      // are not sent back to the top of the page.
      const next = this.photos[index] || this.photos[index - 1];
      if (next) {
        next.element.querySelector(".photo-remove").focus();
      } else {
        this.input.focus();
      }
    }

    announce(text) {
      // Clearing first makes screen readers repeat an identical message.
      this.announcer.textContent = "";
      setTimeout(() => { this.announcer.textContent = text; }, 50);
    }

    onDragStart(event) {
      const item = event.target.closest?.(".photo-item");
      if (!item) {
        return;
      }
      this.dragged = item;
      item.classList.add("is-dragging");
      event.dataTransfer.effectAllowed = "move";
      // Some Firefox versions start a drag only when some data is set.
      event.dataTransfer.setData("text/plain", item.dataset.photoId);
    }

    onDragOver(event) {
      const item = event.target.closest?.(".photo-item");
      if (!this.dragged || !item) {
        return;
      }
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      for (const other of this.list.querySelectorAll(".drop-target")) {
        if (other !== item) {
          other.classList.remove("drop-target");
        }
      }
      if (item !== this.dragged) {
        item.classList.add("drop-target");
      }
    }

    onDragLeave(event) {
      const item = event.target.closest?.(".photo-item");
      if (item && !item.contains(event.relatedTarget)) {
        item.classList.remove("drop-target");
      }
    }

    onDrop(event) {
      const item = event.target.closest?.(".photo-item");
      if (!this.dragged || !item) {
        return;
      }
      event.preventDefault();
      const from = this.photos.findIndex((photo) => photo.element === this.dragged);
      const to = this.photos.findIndex((photo) => photo.element === item);
      this.onDragEnd();
      if (from >= 0 && to >= 0) {
        this.move(from, to, null);
      }
    }

    onDragEnd() {
      this.dragged?.classList.remove("is-dragging");
      this.dragged = null;
      for (const other of this.list.querySelectorAll(".drop-target")) {
        other.classList.remove("drop-target");
      }
    }
  }

  if (!canSetFiles()) {
    return;
  }
  for (const input of document.querySelectorAll("input[type=file][data-photos]")) {
    new PhotoPicker(input);
  }
})();
